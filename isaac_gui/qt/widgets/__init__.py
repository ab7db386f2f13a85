"""Small reusable widgets that know nothing of runs or photos."""

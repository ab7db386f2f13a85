"""The open folder's photos: the list model, its filter, the filter bar, the thumbnail grid and cache, the loader."""

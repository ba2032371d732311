"""Files in and out: the checkpoint format, where weights come from (folders, shipped names, the
Hub), model cards, resumable training state, zips, and atomic folder writes."""

"""Jobs over many recordings: the folder scan (resumable, in parallel, on a Ray cluster when one
machine is not enough), exports and reports from the results store, and evaluation against
hand labels.
"""

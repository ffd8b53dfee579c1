"""The review view (``view.ReviewView``), cut along its widgets: the header strip, the
findings list, the transcript and stages, the history, the decision and the appeal panels,
each a mixin that owns its widgets and what they do; ``data`` is what the view loads about a
run."""

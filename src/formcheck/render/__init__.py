"""Drawing and reports: annotators that only read ``FrameFeedback``, the annotated video writer
and the HTML reports."""

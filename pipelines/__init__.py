"""MNR Data Hub: harmonised, quality-gated OCSEA administrative data indexed by the Model National Response."""

"""The merged graph of every report: units, instruments, measures, problems and their edges."""

"""Named flows made executable: faults injected step by step, outcomes, and the FMEA."""

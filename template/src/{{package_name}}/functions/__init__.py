# Your code: restack-template generated it once; change it freely (`restack upgrade`
# merges template changes around your edits).
"""Functions: where all I/O happens (activities). The service registers every function here."""

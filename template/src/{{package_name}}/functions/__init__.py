"""Functions: where all I/O happens (activities). The service registers every function here."""

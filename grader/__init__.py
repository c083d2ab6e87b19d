"""The instructor side of the microgpt kit: exercise generation, grading and exports."""

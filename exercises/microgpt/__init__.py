# Generated from solutions/microgpt/__init__.py by `python -m grader exercises`: instructors edit there, not here.
"""microgpt: a whole GPT (tokenizer, scalar autograd, attention, Adam, sampling) in pure Python.

A package reimplementation of Karpathy's microgpt that reproduces its training trajectory
bit for bit. Standard library only; runs on CPython and PyPy 3.9+.
"""

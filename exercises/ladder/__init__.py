# Generated from solutions/ladder/__init__.py by `python -m grader exercises`: instructors edit there, not here.
"""The ladder: microgpt built in six rungs, as Karpathy's build_microgpt.py gist built it.

Each rung reproduces one published revision (train0.py ... train5.py) float for float and
adds one idea; what a later rung inherits unchanged is imported, never copied:

    rung 0  counting.py                       a bigram count table: smoothing, loss, sampling
    rung 1  float_nn.py mlp.py backprop.py    the same bigram as an MLP on plain floats,
            sgd.py                            gradients written by hand and checked numerically
    rung 2  autograd_mlp.py                   the same MLP on microgpt's Value: autograd
    rung 3  attention_head.py single_head_gpt.py  one attention head, wpe, residuals, rmsnorm
    rung 4  (microgpt.model, microgpt.attention)  multi-head attention, still SGD
    rung 5  microgpt                          Adam: the finished microgpt

From microgpt: data.py (every rung), nn.linear (rung 1 on, it works on floats and Values
alike), value.py and nn.softmax (rung 2 on), nn.rmsnorm (rung 3 on), model.py and
attention.py (rung 4 on), sampling.py (rung 2 on), train.train_step (rung 2 on).
rungs.py says what each rung is made of; train.py trains any rung.
"""

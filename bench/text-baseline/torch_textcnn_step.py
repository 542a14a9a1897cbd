#!/usr/bin/python3
"""Peer timing for the keras.io text CNN of examples/TextClassification: one training step (forward, backward, Adam)
on a batch of 32 sequences of 500 token ids, in Debian's PyTorch (CPU, float32), same layer sizes:
Embedding(20000, 128) -> Dropout 0.5 -> Conv1d(128, 7, stride 3) ReLU x2 -> global max -> Linear(128) ReLU -> Dropout 0.5
-> Linear(1) -> BCE with logits.

Run: /usr/bin/python3 bench/text-baseline/torch_textcnn_step.py [--threads 2 --steps 60]
Prints the median and the quartiles of the step time in ms after 10 warm-up steps.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--steps", type=int, default=60)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


class TextCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20000, 128)
        self.c1 = nn.Conv1d(128, 128, 7, stride=3)
        self.c2 = nn.Conv1d(128, 128, 7, stride=3)
        self.d1 = nn.Linear(128, 128)
        self.out = nn.Linear(128, 1)
        self.drop = nn.Dropout(0.5)

    def forward(self, ids):
        x = self.drop(self.emb(ids)).transpose(1, 2)
        x = torch.relu(self.c2(torch.relu(self.c1(x))))
        x = x.amax(dim=2)
        return self.out(self.drop(torch.relu(self.d1(x))))


m = TextCnn()
opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
loss_fn = nn.BCEWithLogitsLoss()
ids = torch.randint(0, 20000, (32, 500))
y = torch.randint(0, 2, (32, 1)).float()
times = []
for step in range(10 + a.steps):
    t0 = time.perf_counter()
    opt.zero_grad()
    loss = loss_fn(m(ids), y)
    loss.backward()
    opt.step()
    if step >= 10:
        times.append((time.perf_counter() - t0) * 1000)
q = statistics.quantiles(times, n=4)
print(f"torch {torch.__version__} threads={a.threads} text-cnn step: median {statistics.median(times):.1f} ms (quartiles {q[0]:.1f}-{q[2]:.1f}) over {a.steps} steps")

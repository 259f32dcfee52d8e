"""The paper's candidate-generation network (Covington, Adams, Sargin, RecSys 2016, section 3).

Inputs: the watch history pooled into one vector (the average of the watched items' embeddings,
or, as an ablation, the last watch's embedding) and the example age with its square and square
root (section 3.3's normalised continuous features). A ReLU tower maps them to the user vector
u; the item vectors v_j and biases b_j are the softmax weights, and the score of item j is
u . v_j + b_j. Serving ranks items by that dot product in a nearest-neighbour index (ann.py).

Training is extreme multiclass classification of the next watch with a sampled softmax
(section 3.1): per batch, `negatives` items are drawn from a proposal Q (training popularity to
the power 0.75) and the loss is a softmax over the true item and the samples, each logit
minus log(expected count of that item), the log-Q correction (Jean et al., ACL 2015; Bengio and
Senecal, 2008) that makes the sampled loss an unbiased estimate of the full softmax's gradient
direction. Sampled items equal to the label ("accidental hits") are masked.

    model = train(data.train, n_items=data.n_items, config=ModelConfig(), seed=0)
    scores = model.score(data.test.contexts, data.test.ages)   # (users, n_items), full ranking
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .config import ModelConfig
from .progress import Progress, quiet
from .sequences import Examples

__all__ = [
    "Adam",
    "CandidateGenerator",
    "TrainedModel",
    "log_expected_counts",
    "sampled_softmax_loss",
    "set_threads",
    "train",
]


def set_threads(threads: int = 1) -> None:
    """One intra-op thread by default: this model's matrices are too small to split.

    Measured on a shared 2-core machine: two threads trained the quick model 10 to 30 times
    slower than one (the threads wait on each other), and one thread also fixes the order of
    floating-point sums, so runs repeat exactly.
    """
    torch.set_num_threads(threads)


class CandidateGenerator(nn.Module):
    """Pooled watches (+ example age) -> ReLU tower -> user vector; items are softmax rows."""

    def __init__(self, n_items: int, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        dim = config.embedding_dim
        self.watch_embedding = nn.Embedding(n_items + 1, dim, padding_idx=0)
        width = dim + (3 if config.example_age else 0)
        layers: list[nn.Module] = []
        for hidden in config.hidden:
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, config.output_dim))
        self.tower = nn.Sequential(*layers)
        self.item_vectors = nn.Embedding(n_items + 1, config.output_dim)
        self.item_bias = nn.Embedding(n_items + 1, 1)
        nn.init.normal_(self.watch_embedding.weight, std=0.05)
        nn.init.normal_(self.item_vectors.weight, std=0.05)
        nn.init.zeros_(self.item_bias.weight)
        with torch.no_grad():
            self.watch_embedding.weight[0].zero_()

    def user_vectors(self, contexts: torch.Tensor, ages: torch.Tensor) -> torch.Tensor:
        """(batch, history) item indices padded left with 0 and (batch,) ages -> user vectors."""
        embedded = self.watch_embedding(contexts)
        if self.config.pooling == "mean":
            counts = (contexts > 0).sum(dim=1, keepdim=True).clamp(min=1)
            pooled = embedded.sum(dim=1) / counts
        else:  # "last": the most recent watch only
            pooled = embedded[:, -1]
        features = [pooled]
        if self.config.example_age:
            a = ages.unsqueeze(1).clamp(min=0.0)
            features += [a, a * a, torch.sqrt(a)]
        out: torch.Tensor = self.tower(torch.cat(features, dim=1))
        return out


def log_expected_counts(counts: np.ndarray, negatives: int, power: float = 0.75) -> np.ndarray:
    """log(negatives * Q(j)) for the proposal Q(j) proportional to (count_j + 1) ** power.

    Index 0 (padding) gets probability 0 and log -inf: it is never sampled.
    """
    weights = (np.asarray(counts, dtype=np.float64) + 1.0) ** power
    weights[0] = 0.0
    q = weights / weights.sum()
    with np.errstate(divide="ignore"):
        return np.log(negatives * q)


def sampled_softmax_loss(
    users: torch.Tensor,
    item_vectors: torch.Tensor,
    item_bias: torch.Tensor,
    labels: torch.Tensor,
    sampled: torch.Tensor,
    log_q: torch.Tensor | None,
) -> torch.Tensor:
    """Mean cross-entropy of each label against the shared `sampled` items.

    users (B, d); item_vectors (n + 1, d); item_bias (n + 1,); labels (B,); sampled (S,);
    log_q (n + 1,) the log expected counts, or None to skip the correction (an ablation).
    """
    true_logits = (users * item_vectors[labels]).sum(dim=1) + item_bias[labels]
    sampled_logits = users @ item_vectors[sampled].T + item_bias[sampled]
    if log_q is not None:
        true_logits = true_logits - log_q[labels]
        sampled_logits = sampled_logits - log_q[sampled]
    accidental = sampled.unsqueeze(0) == labels.unsqueeze(1)
    sampled_logits = sampled_logits.masked_fill(accidental, float("-inf"))
    logits = torch.cat([true_logits.unsqueeze(1), sampled_logits], dim=1)
    target = torch.zeros(len(labels), dtype=torch.long, device=logits.device)
    return F.cross_entropy(logits, target)


class Adam:
    """Adam (Kingma and Ba, ICLR 2015), the same update as torch.optim.Adam's defaults.

    Written out because importing torch.optim pulls in torch._dynamo, which adds seconds to
    every start-up (the server trains at start); tests check it against torch.optim.Adam.
    """

    def __init__(
        self,
        params: list[torch.Tensor],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = params
        self.lr, self.betas, self.eps = lr, betas, eps
        self.steps = 0
        self.first = [torch.zeros_like(p) for p in params]
        self.second = [torch.zeros_like(p) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.steps += 1
        beta1, beta2 = self.betas
        correction1 = 1 - beta1**self.steps
        correction2 = 1 - beta2**self.steps
        for p, m, v in zip(self.params, self.first, self.second, strict=True):
            if p.grad is None:
                continue
            m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            denom = (v.sqrt() / correction2**0.5).add_(self.eps)
            p.addcdiv_(m, denom, value=-self.lr / correction1)


@dataclass
class TrainedModel:
    """A trained network and what serving needs: user vectors and the item matrix."""

    network: CandidateGenerator
    losses: list[float]  # mean training loss of each epoch
    train_seconds: float

    @property
    def name(self) -> str:
        return self.network.config.name

    @torch.no_grad()
    def user_vectors(self, contexts: np.ndarray, ages: np.ndarray) -> np.ndarray:
        self.network.eval()
        out = self.network.user_vectors(
            torch.as_tensor(contexts, dtype=torch.long),
            torch.as_tensor(ages, dtype=torch.float32),
        )
        return np.asarray(out.numpy(), dtype=np.float32)

    @torch.no_grad()
    def item_matrix(self) -> np.ndarray:
        """(n_items, d + 1): each item's vector with its bias appended (row i is index i + 1).

        A user vector with 1 appended gives u . v + b as one inner product, so an inner-product
        index ranks exactly as the model scores.
        """
        vectors = self.network.item_vectors.weight[1:]
        bias = self.network.item_bias.weight[1:]
        return np.asarray(torch.cat([vectors, bias], dim=1).numpy(), dtype=np.float32)

    def queries(self, contexts: np.ndarray, ages: np.ndarray) -> np.ndarray:
        """User vectors with 1 appended, to query `item_matrix`."""
        users = self.user_vectors(contexts, ages)
        return np.hstack([users, np.ones((len(users), 1), dtype=np.float32)])

    def score(self, contexts: np.ndarray, ages: np.ndarray) -> np.ndarray:
        """Scores of every item (n_users, n_items), column j for item index j + 1."""
        return self.queries(contexts, ages) @ self.item_matrix().T


def train(
    examples: Examples,
    *,
    n_items: int,
    item_counts: np.ndarray,
    config: ModelConfig,
    seed: int = 0,
    progress: Progress = quiet,
) -> TrainedModel:
    """Train with Adam on the sampled softmax; the same seed and data give the same weights."""
    if len(examples) == 0:
        raise ValueError("no training examples: every user needs at least 3 watches")
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    network = CandidateGenerator(n_items, config)
    optimiser = Adam(list(network.parameters()), lr=config.learning_rate)
    contexts = torch.as_tensor(examples.contexts, dtype=torch.long)
    ages = torch.as_tensor(examples.ages, dtype=torch.float32)
    labels = torch.as_tensor(examples.labels, dtype=torch.long)
    negatives = min(config.negatives, n_items)
    log_q_np = log_expected_counts(item_counts, negatives)
    proposal = torch.as_tensor(np.exp(log_q_np - np.log(negatives)), dtype=torch.float64)
    proposal[0] = 0.0
    log_q = torch.as_tensor(log_q_np, dtype=torch.float32) if config.log_q_correction else None
    losses: list[float] = []
    start = time.perf_counter()
    n = len(labels)
    for epoch in range(config.epochs):
        network.train()
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for begin in range(0, n, config.batch_size):
            batch = order[begin : begin + config.batch_size]
            sampled = torch.multinomial(proposal, negatives, replacement=True, generator=generator)
            users = network.user_vectors(contexts[batch], ages[batch])
            loss = sampled_softmax_loss(
                users,
                network.item_vectors.weight,
                network.item_bias.weight.squeeze(1),
                labels[batch],
                sampled,
                log_q,
            )
            if config.weight_decay:
                loss = loss + config.weight_decay * users.pow(2).sum(dim=1).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        losses.append(total / n)
        progress(f"{config.name}: epoch {epoch + 1}/{config.epochs}, loss {losses[-1]:.3f}")
    network.eval()
    return TrainedModel(network, losses, time.perf_counter() - start)

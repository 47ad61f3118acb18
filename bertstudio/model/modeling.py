"""Our encoder in torch for every family of `model/family.py`: embeddings, self-attention, encoder,
pooler and task heads.

Config in, tensors out: no I/O, no printing, no optimizer setup. Module and parameter names follow
BERT's Hugging Face layout; a family's key map (`Family.key_map`) translates its checkpoints' names.
What differs between families is data on the family spec (positions, factorised embeddings, shared
layers, head shapes), read here where the computation differs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from bertstudio.errors import ConfigError
from bertstudio.model.attention import attention
from bertstudio.model.config import BertConfig
from bertstudio.model.family import Family

TASKS = (
    "base",
    "masked_lm",
    "pretraining",
    "classification",
    "multi_label",
    "regression",
    "token_classification",
    "question_answering",
    "sentence_embedding",
)


@dataclass
class ModelOutput:
    """What every model returns. Fields a model does not compute are None; attentions is a tuple of
    [batch, heads, seq, seq] tensors (one per layer) exactly when output_attentions=True."""

    last_hidden_state: torch.Tensor
    pooler_output: torch.Tensor | None = None
    attentions: tuple[torch.Tensor, ...] | None = None
    logits: torch.Tensor | None = None  # task logits; masked-LM logits for masked_lm / pretraining
    nsp_logits: torch.Tensor | None = None  # next-sentence logits (pretraining)
    start_logits: torch.Tensor | None = None  # question answering: (B, T) answer-start score per token
    end_logits: torch.Tensor | None = None  # question answering: (B, T) answer-end score per token
    loss: torch.Tensor | None = None


def _gelu_new(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


def _gelu_fast(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))


ACTIVATION_FUNCTIONS = {
    "gelu": F.gelu,
    "gelu_new": _gelu_new,
    "gelu_pytorch_tanh": _gelu_new,
    "gelu_fast": _gelu_fast,
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
    "tanh": torch.tanh,
}


class TokenPacking:
    """Where the real tokens of a padded batch are, to move activations between the padded form
    (B, T, C) that attention needs and the packed form (N, C) that dense layers run on."""

    def __init__(self, attention_mask: torch.Tensor) -> None:
        self.batch, self.seq = attention_mask.shape
        self.indices = attention_mask.reshape(-1).nonzero().squeeze(1)  # (N,) flat positions

    def unpad(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(self.batch * self.seq, -1).index_select(0, self.indices)  # (N, C)

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        padded = x.new_zeros(self.batch * self.seq, x.shape[-1]).index_copy(0, self.indices, x)
        return padded.view(self.batch, self.seq, -1)  # (B, T, C)


@dataclass
class HeadScores:
    """One layer's queries and keys for one unpadded example, giving any head's pre-softmax attention
    scores a block of query rows at a time, so a long input's map is never held whole. Each family's
    layer builds it (`head_scores`) exactly as its attention scores keys."""

    queries: torch.Tensor  # (nh, T, hs), as the layer scores them (rotated in ModernBERT)
    keys: torch.Tensor  # (nh, T, hs)
    scale: float  # content scores are divided by it
    half_window: int | None = None  # a local (sliding-window) layer's: farther keys are masked
    position_terms: dict[str, torch.Tensor] | None = None  # DeBERTa's scaled c2p / p2c, (nh, T, T)

    @property
    def length(self) -> int:
        return self.keys.shape[1]

    def parts(self, head: int, rows: slice) -> dict[str, torch.Tensor]:
        """The additive parts of the scores of query `rows`, each (R, T), before any mask: "c2c"
        (content to content) and, in DeBERTa, "c2p" / "p2c" (content to position, position to content)."""
        parts = {"c2c": self.queries[head, rows] @ self.keys[head].T / self.scale}
        for name, term in (self.position_terms or {}).items():
            parts[name] = term[head, rows]
        return parts

    def window_mask(self, rows: slice) -> torch.Tensor | None:
        """(R, T) bool, True where a key lies outside a local layer's window; None in a global layer."""
        if self.half_window is None:
            return None
        start, stop, _ = rows.indices(self.length)
        queries = torch.arange(start, stop, device=self.keys.device)
        keys = torch.arange(self.length, device=self.keys.device)
        return (queries[:, None] - keys[None, :]).abs() > self.half_window

    def scores(self, head: int, rows: slice) -> torch.Tensor:
        """(R, T) pre-softmax scores of query `rows`, keys outside a local window at the lowest number."""
        scores = sum(self.parts(head, rows).values())
        outside = self.window_mask(rows)
        return scores if outside is None else scores.masked_fill(outside, torch.finfo(scores.dtype).min)

    def probabilities(self, head: int, rows: slice) -> torch.Tensor:
        """(R, T) attention probabilities of query `rows` (each row sums to 1)."""
        return self.scores(head, rows).float().softmax(dim=-1)


class BertEmbeddings(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        width = config.embedding_width
        self.positions_from_padding = config.family.positions_from_padding
        self.pad_token_id = config.pad_token_id
        self.word_embeddings = nn.Embedding(config.vocab_size, width, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, width)
        self.token_type_embeddings = (
            nn.Embedding(config.type_vocab_size, width) if config.type_vocab_size else None
        )
        self.LayerNorm = nn.LayerNorm(width, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.output_width = width  # mapped to the hidden size by the model's embeddings_project

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor,
        inputs_embeds: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """attention_mask is for embeddings that zero padding (DeBERTa's); BERT's do not read it."""
        if self.positions_from_padding:
            # RoBERTa counts real tokens from pad_token_id + 1; padding keeps the padding row
            real = input_ids.ne(self.pad_token_id).long()
            positions = real.cumsum(dim=1) * real + self.pad_token_id  # (B, T)
        else:
            positions = torch.arange(input_ids.shape[1], device=input_ids.device)  # (T,)
        words = self.word_embeddings(input_ids) if inputs_embeds is None else inputs_embeds
        if self.token_type_embeddings is not None:
            words = words + self.token_type_embeddings(token_type_ids)
        x = words + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class BertSelfAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.head_size = config.head_size
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq, _ = x.shape
        return x.view(batch, seq, self.num_heads, self.head_size).transpose(1, 2)  # (B, nh, T, hs)

    def head_scores(self, hidden: torch.Tensor) -> HeadScores:
        """hidden: (1, T, C) of one unpadded example."""
        q, k = self._heads(self.query(hidden))[0], self._heads(self.key(hidden))[0]
        return HeadScores(queries=q, keys=k, scale=math.sqrt(self.head_size))

    def forward(
        self,
        hidden: torch.Tensor,
        key_mask: torch.Tensor | None,
        head_mask: torch.Tensor | None,
        return_probs: bool,
        packing: TokenPacking | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """key_mask: bool (B, 1, 1, T), True where a key may be attended to; None means all.
        head_mask: (nh,) multipliers on each head's probabilities (0 switches a head off).
        packing: when given, hidden holds only the real tokens (N, C) and so does the result."""
        q, k, v = self.query(hidden), self.key(hidden), self.value(hidden)
        if packing is not None:
            q, k, v = packing.pad(q), packing.pad(k), packing.pad(v)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        probs = None
        if return_probs or head_mask is not None:
            scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_size)  # (B, nh, T, T)
            if key_mask is not None:
                scores = scores.masked_fill(~key_mask, torch.finfo(scores.dtype).min)
            probs = scores.softmax(dim=-1)
            weights = self.dropout(probs)
            if head_mask is not None:
                weights = weights * head_mask.view(1, -1, 1, 1).to(weights.dtype)
            context = weights @ v
        else:
            context = attention(
                q, k, v, attn_mask=key_mask, dropout_p=self.dropout_p if self.training else 0.0
            )
        batch, _, seq, _ = context.shape
        context = context.transpose(1, 2).reshape(batch, seq, self.num_heads * self.head_size)
        if packing is not None:
            context = packing.unpad(context)
        return context, probs


class BertResidualOutput(nn.Module):
    """Dense projection, dropout, residual add and LayerNorm (after attention and after the MLP)."""

    def __init__(self, in_size: int, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(in_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertResidualOutput(config.hidden_size, config)


class BertIntermediate(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = ACTIVATION_FUNCTIONS[config.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.dense(x))


class BertLayer(nn.Module):
    local_window: int | None = None  # every key is seen (ModernBERT's sliding-window layers set one)

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertResidualOutput(config.intermediate_size, config)

    def forward(
        self,
        hidden: torch.Tensor,
        key_mask: torch.Tensor | None,
        head_mask: torch.Tensor | None,
        return_probs: bool,
        packing: TokenPacking | None = None,
        context: None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """context: what the encoder computed once for this forward (nothing for BERT blocks)."""
        context, probs = self.attention.self(hidden, key_mask, head_mask, return_probs, packing)
        hidden = self.attention.output(context, hidden)
        hidden = self.output(self.intermediate(hidden), hidden)
        return hidden, probs

    def head_scores(self, hidden: torch.Tensor, context: None = None) -> HeadScores:
        """This layer's scores of one unpadded example whose input hidden state is (1, T, C)."""
        return self.attention.self.head_scores(hidden)


class BertEncoder(nn.Module):
    """The layers; with num_hidden_groups < num_hidden_layers (ALBERT) consecutive layers share weights."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        groups = (
            config.num_hidden_groups if config.family.capabilities.shared_layers else config.num_hidden_layers
        )
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(groups))
        per_group = config.num_hidden_layers // groups
        self.schedule = [index // per_group for index in range(config.num_hidden_layers)]

    def applied_layers(self) -> list[BertLayer]:
        """The layer run at each depth (the same module repeats where weights are shared)."""
        return [self.layer[group] for group in self.schedule]

    def context(self, attention_mask: torch.Tensor | None, seq: int, device: torch.device) -> None:
        """What every layer of one forward shares (see DebertaEncoder); BERT's layers need nothing."""
        return None

    def finish(self, hidden: torch.Tensor) -> torch.Tensor:
        """The last step after the layers (a final norm in pre-norm encoders); none for BERT."""
        return hidden


class BertPooler(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden[:, 0]))


def encoder_parts(config: BertConfig) -> tuple[nn.Module, nn.Module]:
    """The embeddings and encoder of the family's block kind (Family.block)."""
    block = config.family.block
    if block == "deberta_v2":
        from bertstudio.model.deberta import DebertaEmbeddings, DebertaEncoder

        return DebertaEmbeddings(config), DebertaEncoder(config)
    if block == "modernbert":
        from bertstudio.model.modernbert import ModernBertEmbeddings, ModernBertEncoder

        return ModernBertEmbeddings(config), ModernBertEncoder(config)
    if block != "bert":
        raise ConfigError(f"{config.family.title} models have an unknown block kind {block!r}.")
    return BertEmbeddings(config), BertEncoder(config)


class BertPreTrainedModel(nn.Module):
    """Shared initialisation and the task bookkeeping every model carries."""

    task = "base"

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config

    @property
    def family(self) -> Family:
        """The model family (config.json's model_type): key names, tokenizer kind, capabilities."""
        return self.config.family

    @property
    def encoder_model(self) -> BertModel:
        """The encoder under the task head (the model itself for a plain encoder)."""
        return self if isinstance(self, BertModel) else self.bert

    def init_weights(self) -> None:
        """Initialise every weight as BERT does (normal(0, initializer_range), zero biases)."""
        self.apply(self._init_module)
        self.tie_weights()

    def _init_module(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=std)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, BertLMPredictionHead) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def tie_weights(self) -> None:
        """Task models with a masked-LM decoder share it with the word embeddings."""


class BertModel(BertPreTrainedModel):
    """The encoder: embeddings, layers, pooler. Returns hidden states (and attentions on request)."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        family = config.family
        self.embeddings, self.encoder = encoder_parts(config)
        width = self.embeddings.output_width
        projects = width != config.hidden_size or family.always_project_embeddings
        self.embeddings_project = nn.Linear(width, config.hidden_size) if projects else None
        self.pooler = BertPooler(config) if add_pooling_layer and family.capabilities.pooler else None
        self.init_weights()

    def embed(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor,
        inputs_embeds: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, T, hidden): what the first layer reads (attention_mask only when some tokens are padding)."""
        hidden = self.embeddings(input_ids, token_type_ids, inputs_embeds, attention_mask)
        return hidden if self.embeddings_project is None else self.embeddings_project(hidden)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        output_attentions: bool = False,
        labels: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        pack_tokens: bool | None = None,
    ) -> ModelOutput:
        """head_mask: optional (layers, heads) multipliers; inputs_embeds replaces the word-embedding
        lookup (for gradient attributions). labels are accepted and ignored (no head to score).

        In training mode (or with pack_tokens=True) a padded batch runs its dense layers on the real
        tokens only (packed), which saves the work spent on padding; the hidden states of padding
        positions are then zero. Padding never reaches a loss, and in eval mode without pack_tokens
        every position is computed as in the reference BERT."""
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        key_mask = None
        if attention_mask is not None and not bool(attention_mask.all()):
            key_mask = attention_mask.bool()[:, None, None, :]  # (B, 1, 1, T)
        hidden = self.embed(
            input_ids, token_type_ids, inputs_embeds, attention_mask if key_mask is not None else None
        )
        packing = None
        pack = self.training if pack_tokens is None else pack_tokens
        if key_mask is not None and pack and not output_attentions and head_mask is None:
            packing = TokenPacking(attention_mask)
            hidden = packing.unpad(hidden)  # (N, C)
        context = self.encoder.context(
            attention_mask if key_mask is not None else None, input_ids.shape[1], hidden.device
        )
        attentions = []
        for index, layer in enumerate(self.encoder.applied_layers()):
            layer_head_mask = head_mask[index] if head_mask is not None else None
            hidden, probs = layer(hidden, key_mask, layer_head_mask, output_attentions, packing, context)
            if output_attentions:
                attentions.append(probs)
        hidden = self.encoder.finish(hidden)
        if packing is not None:
            hidden = packing.pad(hidden)
        return ModelOutput(
            last_hidden_state=hidden,
            pooler_output=self.pooler(hidden) if self.pooler is not None else None,
            attentions=tuple(attentions) if output_attentions else None,
        )


class BertPredictionTransform(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.embedding_width)
        self.act = ACTIVATION_FUNCTIONS[config.family.masked_lm_activation or config.hidden_act]
        self.LayerNorm = nn.LayerNorm(config.embedding_width, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.act(self.dense(x)))


def head_transform(config: BertConfig) -> nn.Module:
    """The dense -> activation -> norm block before the masked-LM decoder (and, in ModernBERT, before
    every task classifier)."""
    if config.family.block == "modernbert":
        from bertstudio.model.modernbert import ModernBertHead

        return ModernBertHead(config)
    return BertPredictionTransform(config)


class BertLMPredictionHead(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.transform = head_transform(config)
        self.decoder = nn.Linear(config.embedding_width, config.vocab_size, bias=False)
        decoder_bias = config.options.decoder_bias if config.family.block == "modernbert" else True
        self.bias = nn.Parameter(torch.zeros(config.vocab_size)) if decoder_bias else None

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        logits = self.decoder(self.transform(hidden))
        return logits if self.bias is None else logits + self.bias


class BertPreTrainingHeads(nn.Module):
    """Hugging Face's `cls` module: masked-LM predictions and, optionally, next-sentence logits."""

    def __init__(self, config: BertConfig, with_nsp: bool) -> None:
        super().__init__()
        self.predictions = BertLMPredictionHead(config)
        self.seq_relationship = nn.Linear(config.hidden_size, 2) if with_nsp else None


class _BertWithHead(BertPreTrainedModel):
    """An encoder (`self.bert`) with a task head; subclasses say how the head scores the encoding."""

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        output_attentions: bool = False,
        labels: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        next_sentence_label: torch.Tensor | None = None,
    ) -> ModelOutput:
        """As BertModel.forward, plus `logits` (and `loss` when labels are given) from the head.
        next_sentence_label is read by the pretraining model only."""
        out = self.bert(
            input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            output_attentions=output_attentions,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
        )
        self.score(out, labels, next_sentence_label, attention_mask)
        return out

    def score(
        self,
        out: ModelOutput,
        labels: torch.Tensor | None,
        next_sentence_label: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
    ) -> None:
        """Fill out.logits (and out.loss); attention_mask is for heads that pool over the real tokens."""
        raise NotImplementedError


class BertForMaskedLM(_BertWithHead):
    """Masked-LM head on the encoder; with `with_nsp`, also next-sentence prediction (BERT pretraining).
    labels: token ids to predict, -100 elsewhere; next_sentence_label: 0 = B follows A, 1 = random.
    With labels, `logits` holds only the masked positions ([n_masked, vocab]): the vocabulary
    projection of every other position would be wasted work."""

    task = "masked_lm"

    def __init__(self, config: BertConfig, with_nsp: bool = False) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=with_nsp)
        self.cls = BertPreTrainingHeads(config, with_nsp)
        if with_nsp:
            self.task = "pretraining"
        self.init_weights()

    def tie_weights(self) -> None:
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def score(self, out, labels, next_sentence_label, attention_mask) -> None:
        hidden = out.last_hidden_state
        loss = None
        if labels is not None:
            selected = labels != -100
            logits = self.cls.predictions(hidden[selected])
            loss = F.cross_entropy(logits.float(), labels[selected]) if logits.numel() else hidden.sum() * 0
        else:
            logits = self.cls.predictions(hidden)
        nsp_logits = None
        if self.cls.seq_relationship is not None:
            nsp_logits = self.cls.seq_relationship(out.pooler_output)
            if next_sentence_label is not None:
                nsp_loss = F.cross_entropy(nsp_logits.float(), next_sentence_label.view(-1))
                loss = nsp_loss if loss is None else loss + nsp_loss
        out.logits, out.nsp_logits, out.loss = logits, nsp_logits, loss


def _head_dropout(config: BertConfig) -> nn.Dropout:
    rate = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
    return nn.Dropout(rate)


class FirstTokenHead(nn.Module):
    """RoBERTa-style sequence head on the first token: [dropout] -> dense -> activation -> dropout ->
    out_proj (RoBERTa: tanh, ELECTRA: GELU, DistilBERT: ReLU without the first dropout, DeBERTa: the
    pooler's dropout and activation)."""

    def __init__(self, config: BertConfig, num_labels: int) -> None:
        super().__init__()
        family = config.family
        self.dropout = _head_dropout(config)
        activation = family.classifier_activation
        if family.classifier == "context_pooler":  # DeBERTa's pooler: its own dropout and activation
            self.first_dropout = nn.Dropout(config.options.pooler_dropout)
            activation = config.options.pooler_hidden_act
        else:
            self.first_dropout = self.dropout if family.classifier_dropout_first else nn.Identity()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = ACTIVATION_FUNCTIONS[activation]
        self.out_proj = nn.Linear(config.hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        x = self.first_dropout(hidden[:, 0])  # (B, C)
        return self.out_proj(self.dropout(self.act(self.dense(x))))


class BertForSequenceClassification(_BertWithHead):
    """A sequence head: pooled first token -> dropout -> linear (families with classifier "pooler"),
    else FirstTokenHead. `problem_type` picks the loss: cross-entropy for single-label, binary
    cross-entropy per label for multi-label, mean squared error for regression."""

    def __init__(self, config: BertConfig, problem_type: str = "single_label_classification") -> None:
        super().__init__(config)
        self.problem_type = problem_type
        self.task = {
            "single_label_classification": "classification",
            "multi_label_classification": "multi_label",
            "regression": "regression",
        }[problem_type]
        self.num_labels = max(config.num_labels, 1)
        self.shape = config.family.classifier
        self.bert = BertModel(config, add_pooling_layer=self.shape == "pooler")
        if self.shape == "pooler":
            self.dropout = _head_dropout(config)
            self.classifier = nn.Linear(config.hidden_size, self.num_labels)
        elif self.shape == "pooled_head":  # ModernBERT: pool (CLS or mean) -> head -> dropout -> linear
            self.pooling = config.options.classifier_pooling
            self.head = head_transform(config)
            self.dropout = _head_dropout(config)
            self.classifier = nn.Linear(config.hidden_size, self.num_labels)
        else:
            self.classifier = FirstTokenHead(config, self.num_labels)
        self.init_weights()

    def score(self, out, labels, next_sentence_label, attention_mask) -> None:
        if self.shape == "pooler":
            logits = self.classifier(self.dropout(out.pooler_output))
        elif self.shape == "pooled_head":
            from bertstudio.model.modernbert import pool

            pooled = pool(out.last_hidden_state, attention_mask, self.pooling)
            logits = self.classifier(self.dropout(self.head(pooled)))
        else:
            logits = self.classifier(out.last_hidden_state)
        out.logits = logits
        if labels is None:
            return
        if self.problem_type == "regression":
            out.loss = F.mse_loss(logits.float(), labels.float().view(logits.shape))
        elif self.problem_type == "multi_label_classification":
            out.loss = F.binary_cross_entropy_with_logits(logits.float(), labels.float())
        else:
            out.loss = F.cross_entropy(logits.float(), labels.view(-1))


class BertForTokenClassification(_BertWithHead):
    """Per-token linear head; labels of -100 (padding, special tokens, non-first sub-words) are ignored."""

    task = "token_classification"

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = max(config.num_labels, 1)
        self.bert = BertModel(config, add_pooling_layer=False)
        # ModernBERT runs its head block (dense -> act -> norm) on each token first
        self.head = head_transform(config) if config.family.classifier == "pooled_head" else None
        self.dropout = _head_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, self.num_labels)
        self.init_weights()

    def score(self, out, labels, next_sentence_label, attention_mask) -> None:
        hidden = out.last_hidden_state
        if self.head is not None:
            hidden = self.head(hidden)
        logits = self.classifier(self.dropout(hidden))
        out.logits = logits
        if labels is not None:
            # a sum over the tagged tokens divided by their count: the mean, yet 0 rather than NaN for a batch
            # (or a data-parallel shard) without one, and no host sync to find out
            total = F.cross_entropy(
                logits.float().flatten(0, 1), labels.flatten(), ignore_index=-100, reduction="sum"
            )
            out.loss = total / (labels != -100).sum().clamp(min=1)


class BertForQuestionAnswering(_BertWithHead):
    """Extractive QA: a linear `qa_outputs` (hidden -> 2) scores every token as the answer's start and
    end. labels: (B, 2) start / end token positions; 0 ([CLS]) for a window without the answer. The
    loss is the mean of the start and end cross-entropies, as in transformers, but over the real tokens
    only: transformers' softmax also spans the padding, so its loss depends on how far a batch is padded
    (and in training our padding's hidden states are zero, which would pin its logits at the bias)."""

    task = "question_answering"

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = _head_dropout(config) if config.family.qa_dropout else None
        self.qa_outputs = nn.Linear(config.hidden_size, 2)
        self.init_weights()

    def score(self, out, labels, next_sentence_label, attention_mask) -> None:
        hidden = out.last_hidden_state
        if self.dropout is not None:
            hidden = self.dropout(hidden)
        start_logits, end_logits = self.qa_outputs(hidden).unbind(-1)  # (B, T) each
        out.start_logits, out.end_logits = start_logits, end_logits
        out.logits = torch.stack((start_logits, end_logits), dim=1)  # (B, 2, T)
        if labels is not None:
            width = start_logits.shape[1]
            starts, ends = labels[:, 0].clamp(0, width), labels[:, 1].clamp(0, width)
            start_loss = F.cross_entropy(
                _real_tokens(start_logits, attention_mask), starts, ignore_index=width
            )
            end_loss = F.cross_entropy(_real_tokens(end_logits, attention_mask), ends, ignore_index=width)
            out.loss = (start_loss + end_loss) / 2


def _real_tokens(logits: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """float logits with padding positions at the lowest number (out of a softmax)."""
    logits = logits.float()
    if attention_mask is None:
        return logits
    return logits.masked_fill(attention_mask == 0, torch.finfo(logits.dtype).min)


def build_model(config: BertConfig, task: str = "base") -> BertPreTrainedModel:
    """A freshly initialised model for `task` (one of TASKS, and one its family has a head for)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    family = config.family
    if not family.builds(task):
        raise ConfigError(
            f"{family.title} models have no {task.replace('_', ' ')} head.",
            f"Choose one of the tasks {family.title} can be trained for: {', '.join(family.tasks)}.",
        )
    if task == "base":
        return BertModel(config)
    if task == "masked_lm":
        return BertForMaskedLM(config)
    if task == "pretraining":
        return BertForMaskedLM(config, with_nsp=True)
    if task == "classification":
        return BertForSequenceClassification(config, "single_label_classification")
    if task == "multi_label":
        return BertForSequenceClassification(config, "multi_label_classification")
    if task == "regression":
        return BertForSequenceClassification(config, "regression")
    if task == "question_answering":
        return BertForQuestionAnswering(config)
    if task == "sentence_embedding":
        from bertstudio.model.sentence import SentenceEmbeddingModel

        return SentenceEmbeddingModel(config)
    return BertForTokenClassification(config)

"""DistilBERT: BERT blocks under other names (`q_lin`, `sa_layer_norm`, ...), config keys of its own
(`dim`, `n_heads`, ...), no token types, no pooler; classification through `pre_classifier` + ReLU."""

from bertstudio.model.family import SEQUENCE_TASKS, Capabilities, Family, KeyRename, register

_LAYER = "bert.encoder.layer.{n}."
_THEIR_LAYER = "distilbert.transformer.layer.{n}."

DISTILBERT = register(
    Family(
        name="distilbert",
        title="DistilBERT",
        model_types=("distilbert",),
        prefix="distilbert",
        architectures={
            "base": "DistilBertModel",
            "masked_lm": "DistilBertForMaskedLM",
            "classification": "DistilBertForSequenceClassification",
            "multi_label": "DistilBertForSequenceClassification",
            "regression": "DistilBertForSequenceClassification",
            "token_classification": "DistilBertForTokenClassification",
            "question_answering": "DistilBertForQuestionAnswering",
        },
        capabilities=Capabilities(token_types=False, pooler=False, next_sentence=False, masked_lm=True),
        tokenizer_kind="wordpiece",
        tokenizer_class="DistilBertTokenizer",
        qa_dropout=True,
        config_names={
            "dim": "hidden_size",
            "n_layers": "num_hidden_layers",
            "n_heads": "num_attention_heads",
            "hidden_dim": "intermediate_size",
            "activation": "hidden_act",
            "dropout": "hidden_dropout_prob",
            "attention_dropout": "attention_probs_dropout_prob",
            "seq_classif_dropout": "classifier_dropout",
        },
        config_fixed={"layer_norm_eps": 1e-12, "type_vocab_size": 0},
        key_map=(
            KeyRename(_LAYER + "attention.self.query.", _THEIR_LAYER + "attention.q_lin."),
            KeyRename(_LAYER + "attention.self.key.", _THEIR_LAYER + "attention.k_lin."),
            KeyRename(_LAYER + "attention.self.value.", _THEIR_LAYER + "attention.v_lin."),
            KeyRename(_LAYER + "attention.output.dense.", _THEIR_LAYER + "attention.out_lin."),
            KeyRename(_LAYER + "attention.output.LayerNorm.", _THEIR_LAYER + "sa_layer_norm."),
            KeyRename(_LAYER + "intermediate.dense.", _THEIR_LAYER + "ffn.lin1."),
            KeyRename(_LAYER + "output.dense.", _THEIR_LAYER + "ffn.lin2."),
            KeyRename(_LAYER + "output.LayerNorm.", _THEIR_LAYER + "output_layer_norm."),
            KeyRename("cls.predictions.transform.dense.", "vocab_transform."),
            KeyRename("cls.predictions.transform.LayerNorm.", "vocab_layer_norm."),
            KeyRename("cls.predictions.decoder.weight", "vocab_projector.weight"),
            KeyRename("cls.predictions.bias", "vocab_projector.bias"),
            KeyRename("classifier.dense.", "pre_classifier.", tasks=SEQUENCE_TASKS),
            KeyRename("classifier.out_proj.", "classifier.", tasks=SEQUENCE_TASKS),
        ),
        classifier="first_token",
        classifier_activation="relu",
        classifier_dropout_first=False,
    )
)

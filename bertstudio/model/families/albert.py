"""ALBERT: factorised embeddings (`embedding_hidden_mapping_in`), one set of layer weights per group
shared by all the layers of that group, a SentencePiece vocabulary, sentence-order prediction in place
of NSP."""

from bertstudio.model.family import Capabilities, Family, KeyRename, register

_LAYER = "bert.encoder.layer.{n}."
_THEIR_LAYER = "albert.encoder.albert_layer_groups.{n}.albert_layers.0."

ALBERT = register(
    Family(
        name="albert",
        title="ALBERT",
        model_types=("albert",),
        prefix="albert",
        architectures={
            "base": "AlbertModel",
            "masked_lm": "AlbertForMaskedLM",
            "pretraining": "AlbertForPreTraining",
            "classification": "AlbertForSequenceClassification",
            "multi_label": "AlbertForSequenceClassification",
            "regression": "AlbertForSequenceClassification",
            "token_classification": "AlbertForTokenClassification",
            "question_answering": "AlbertForQuestionAnswering",
        },
        capabilities=Capabilities(
            token_types=True, pooler=True, next_sentence=True, masked_lm=True, shared_layers=True
        ),
        tokenizer_kind="unigram",
        tokenizer_class="AlbertTokenizer",
        config_names={"classifier_dropout_prob": "classifier_dropout"},
        key_map=(
            KeyRename(_LAYER + "attention.self.query.", _THEIR_LAYER + "attention.query."),
            KeyRename(_LAYER + "attention.self.key.", _THEIR_LAYER + "attention.key."),
            KeyRename(_LAYER + "attention.self.value.", _THEIR_LAYER + "attention.value."),
            KeyRename(_LAYER + "attention.output.dense.", _THEIR_LAYER + "attention.dense."),
            KeyRename(_LAYER + "attention.output.LayerNorm.", _THEIR_LAYER + "attention.LayerNorm."),
            KeyRename(_LAYER + "intermediate.dense.", _THEIR_LAYER + "ffn."),
            KeyRename(_LAYER + "output.dense.", _THEIR_LAYER + "ffn_output."),
            KeyRename(_LAYER + "output.LayerNorm.", _THEIR_LAYER + "full_layer_layer_norm."),
            KeyRename("bert.embeddings_project.", "albert.encoder.embedding_hidden_mapping_in."),
            KeyRename("bert.pooler.dense.", "albert.pooler."),
            KeyRename("cls.predictions.transform.dense.", "predictions.dense."),
            KeyRename("cls.predictions.transform.LayerNorm.", "predictions.LayerNorm."),
            KeyRename("cls.predictions.decoder.", "predictions.decoder."),
            KeyRename("cls.predictions.bias", "predictions.bias"),
            KeyRename("cls.seq_relationship.", "sop_classifier.classifier."),
        ),
        aliases=(("predictions.decoder.bias", "predictions.bias"),),
        factorised_embeddings=True,
        always_project_embeddings=True,
        notes=(
            "ALBERT's layers share one set of weights per group: masking a head in one layer switches it off "
            "in that layer only, and a head's importance is measured per layer although its weights are shared.",
        ),
    )
)

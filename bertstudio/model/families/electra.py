"""ELECTRA: BERT blocks over embeddings of their own width (`embedding_size`, projected to the hidden size
by `embeddings_project`), no pooler, a first-token head with GELU. Generator checkpoints carry the
masked-LM head; a discriminator's replaced-token head is reported as unused."""

from bertstudio.model.family import Capabilities, Family, KeyRename, register

ELECTRA = register(
    Family(
        name="electra",
        title="ELECTRA",
        model_types=("electra",),
        prefix="electra",
        architectures={
            "base": "ElectraModel",
            "masked_lm": "ElectraForMaskedLM",
            "classification": "ElectraForSequenceClassification",
            "multi_label": "ElectraForSequenceClassification",
            "regression": "ElectraForSequenceClassification",
            "token_classification": "ElectraForTokenClassification",
            "question_answering": "ElectraForQuestionAnswering",
        },
        capabilities=Capabilities(token_types=True, pooler=False, next_sentence=False, masked_lm=True),
        tokenizer_kind="wordpiece",
        tokenizer_class="ElectraTokenizer",
        key_map=(
            KeyRename("cls.predictions.transform.dense.", "generator_predictions.dense."),
            KeyRename("cls.predictions.transform.LayerNorm.", "generator_predictions.LayerNorm."),
            KeyRename("cls.predictions.decoder.weight", "generator_lm_head.weight"),
            KeyRename("cls.predictions.bias", "generator_lm_head.bias"),
        ),
        factorised_embeddings=True,
        classifier="first_token",
        classifier_activation="gelu",
        masked_lm_activation="gelu",
    )
)

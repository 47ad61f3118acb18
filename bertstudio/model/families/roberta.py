"""RoBERTa and XLM-RoBERTa: BERT blocks; positions counted from pad_token_id + 1 over real tokens; one
token type; a first-token classification head (dense -> tanh -> out_proj); the masked-LM head `lm_head`."""

from dataclasses import replace

from bertstudio.model.family import Capabilities, Family, KeyRename, register

_LM_HEAD = (
    KeyRename("cls.predictions.transform.dense.", "lm_head.dense."),
    KeyRename("cls.predictions.transform.LayerNorm.", "lm_head.layer_norm."),
    KeyRename("cls.predictions.decoder.", "lm_head.decoder."),
    KeyRename("cls.predictions.bias", "lm_head.bias"),
)


def _architectures(stem: str) -> dict[str, str]:
    return {
        "base": f"{stem}Model",
        "masked_lm": f"{stem}ForMaskedLM",
        "classification": f"{stem}ForSequenceClassification",
        "multi_label": f"{stem}ForSequenceClassification",
        "regression": f"{stem}ForSequenceClassification",
        "token_classification": f"{stem}ForTokenClassification",
        "question_answering": f"{stem}ForQuestionAnswering",
    }


ROBERTA = register(
    Family(
        name="roberta",
        title="RoBERTa",
        model_types=("roberta",),
        prefix="roberta",
        architectures=_architectures("Roberta"),
        capabilities=Capabilities(token_types=False, pooler=True, next_sentence=False, masked_lm=True),
        tokenizer_kind="byte_level_bpe",
        tokenizer_class="RobertaTokenizer",
        key_map=_LM_HEAD,
        aliases=(("lm_head.decoder.bias", "lm_head.bias"),),
        positions_from_padding=True,
        classifier="first_token",
        classifier_activation="tanh",
        masked_lm_activation="gelu",
    )
)

XLM_ROBERTA = register(
    replace(
        ROBERTA,
        name="xlm-roberta",
        title="XLM-RoBERTa",
        model_types=("xlm-roberta",),
        architectures=_architectures("XLMRoberta"),
        tokenizer_kind="unigram",
        tokenizer_class="XLMRobertaTokenizer",
    )
)

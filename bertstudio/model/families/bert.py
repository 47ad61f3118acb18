"""BERT: the reference layout (our weight names are BERT's, so its key map is empty)."""

from bertstudio.model.family import Capabilities, Family, register

BERT = register(
    Family(
        name="bert",
        title="BERT",
        model_types=("bert",),
        prefix="bert",
        architectures={
            "base": "BertModel",
            "masked_lm": "BertForMaskedLM",
            "pretraining": "BertForPreTraining",
            "classification": "BertForSequenceClassification",
            "multi_label": "BertForSequenceClassification",
            "regression": "BertForSequenceClassification",
            "token_classification": "BertForTokenClassification",
            "question_answering": "BertForQuestionAnswering",
        },
        capabilities=Capabilities(token_types=True, pooler=True, next_sentence=True, masked_lm=True),
        tokenizer_kind="wordpiece",
        tokenizer_class="BertTokenizer",
        aliases=(("cls.predictions.decoder.bias", "cls.predictions.bias"),),
    )
)

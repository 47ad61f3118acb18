"""The Labels & lengths tab: label balance, token lengths against the max length, truncation."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from bertstudio.gui.data_import import DataImport
from bertstudio.gui.widgets.charts import BarChart, Histogram


class LengthsTab(QWidget):
    def __init__(self, data_import: DataImport) -> None:
        super().__init__()
        self.data_import = data_import
        self.label_chart = BarChart("labelChart", "Label balance")
        self.length_chart = Histogram("lengthHistogram", "Tokens per example", "tokens")
        self.max_length_spin = QSpinBox()
        self.max_length_spin.setObjectName("maxLengthSpin")
        self.max_length_spin.setRange(8, 8192)
        self.max_length_spin.setValue(data_import.max_length)
        self.max_length_spin.setToolTip("Tokens per example when training; longer examples are cut")
        self.max_length_spin.valueChanged.connect(self._max_length_changed)
        self.truncation_label = QLabel("")
        self.truncation_label.setObjectName("truncationLabel")
        self.truncation_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label_chart, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Max length"))
        row.addWidget(self.max_length_spin)
        row.addWidget(self.truncation_label, 1)
        layout.addLayout(row)
        layout.addWidget(self.length_chart, 1)
        data_import.opened.connect(self._forget)
        data_import.read_failed.connect(self._forget)
        data_import.report_changed.connect(self.show_report)
        data_import.mapping_changed.connect(self._show_max_length)  # question answering has its own

    def _show_max_length(self) -> None:
        self.max_length_spin.blockSignals(True)
        self.max_length_spin.setValue(self.data_import.max_length)
        self.max_length_spin.blockSignals(False)

    def _forget(self, *_: object) -> None:
        self._show_max_length()
        self.label_chart.set_bars([], [])
        self.length_chart.set_histogram([], [], self.data_import.max_length)
        self.truncation_label.setText("")

    def _max_length_changed(self, value: int) -> None:
        self.length_chart.set_marker(value)
        self.data_import.set_max_length(value)

    def show_report(self) -> None:
        report = self.data_import.report
        if report is None:
            return
        names = list(report.label_counts)
        self.label_chart.set_bars(names, [report.label_counts[n] for n in names])
        self.label_chart.setVisible(bool(names))
        tokens = report.tokens
        if tokens is None:
            self.length_chart.set_histogram([], [], self.data_import.max_length)
            self.truncation_label.setText("Open a model to measure token lengths.")
            return
        self.length_chart.set_histogram(
            tokens.histogram_edges, tokens.histogram_counts, tokens.max_length, tokens.model_limit
        )
        sample = f" (sample of {tokens.rows:,} rows)" if tokens.sampled else ""
        cut_at = min(tokens.max_length, tokens.model_limit or tokens.max_length)
        limit = ""
        if tokens.model_limit is not None:
            limit = f" · the model accepts up to {tokens.model_limit:,} tokens"
            if tokens.max_length > tokens.model_limit:
                limit += f": training cuts at {tokens.model_limit:,}, not {tokens.max_length:,}"
        self.truncation_label.setText(
            f"<b>{tokens.truncated_share:.1%}</b> longer than {cut_at} tokens (truncated) · "
            f"median {tokens.median:.0f} · 95th percentile {tokens.p95:.0f} · longest {tokens.longest:,}"
            f" · [UNK] {tokens.unk_rate:.2%}{sample}{limit}"
        )

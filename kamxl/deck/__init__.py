"""The decks: QBR deck per account, executive handshake slide, portfolio review.

Layers: :mod:`kamxl.deck.context` turns a workbook into what each slide says (pure data,
client-safe by audience); :mod:`kamxl.deck.text` renders kamxl's own Jinja2 text templates
in a sandbox; :mod:`kamxl.deck.build` lays the slides out with python-pptx on a template deck,
with native charts (:mod:`kamxl.deck.charts`) and text fitted to its box
(:mod:`kamxl.deck.fit`).
"""

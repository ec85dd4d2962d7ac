"""Extractors: one small pipeline component per entity kind, run in a fixed order."""

from kg.extract.base import Document, Extractor, Sentence
from kg.extract.indicators import IndicatorExtractor
from kg.extract.instruments import InstrumentExtractor
from kg.extract.measures import MeasureExtractor
from kg.extract.problems import ProblemExtractor
from kg.extract.units import UnitExtractor

# Order matters: measures read the instruments (based-on), problems read the planned measures.
PIPELINE: tuple[Extractor, ...] = (
    UnitExtractor(),
    InstrumentExtractor(),
    MeasureExtractor(),
    ProblemExtractor(),
    IndicatorExtractor(),
)

__all__ = ["PIPELINE", "Document", "Extractor", "Sentence"]

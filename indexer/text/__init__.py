"""Text utilities shared by every stage: normalisation, segmentation, accents, gazetteer."""

"""Analyses: questions about the IR that passes and lowerings share (how a
loop nest reaches its operands, whether a kernel can be tiled). They read
IR and never change it; they sit above the dialects and the target and
below every pass, so that passes never import each other for them."""

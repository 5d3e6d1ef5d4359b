"""One function per pipeline step: plain inputs (state models, adapters) and outputs."""

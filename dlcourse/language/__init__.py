"""Chapter 16: language models from scratch: byte-pair encoding, word vectors, and the training helpers of a GPT.

* :mod:`~dlcourse.language.bpe` — byte-pair encoding: train merges on a corpus, encode, decode;
* :mod:`~dlcourse.language.word_vectors` — skip-gram word vectors with negative sampling, neighbours, analogies;
* :mod:`~dlcourse.language.lm` — batches of a token stream, a language model's training loop, top-k sampling.

Import the modules by their full path (``from dlcourse.language import bpe``).
"""

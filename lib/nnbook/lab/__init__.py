"""One module per chapter experiment, standing on the engine alone: `neuron` (ch. 1),
`perceptron` (ch. 2), `deep_stacks` (ch. 3), `autodiff` (ch. 4), `surfaces` (ch. 7),
`regularization` (ch. 8), `tuning` (ch. 9), `convnets`, `detection` and `faces` (ch. 10), `sequences`
(ch. 11), `gan` (ch. 12), `transformers` (ch. 13: the sorting task, a transformer and an LSTM on it,
a character-level language model), `transfer` (ch. 14), `hardware` and `scale` (ch. 15: counting
and this machine's limits; accelerators, float16/bfloat16, input pipelines, data parallelism),
`speech`, `interpret` and `fairness` (ch. 16).
A lab module never imports another lab module, `nnbook.book` or `nnbook.plots`."""

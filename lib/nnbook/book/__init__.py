"""Page furniture that knows no subject: `env` (setup), `colab`, `data`, `widgets` (sliders),
`show` (show_source) and `exercises` (auto-checked exercises)."""

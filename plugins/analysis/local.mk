# plugins/analysis: where a canary's measurements come from.

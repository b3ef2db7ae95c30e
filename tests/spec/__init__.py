"""The official Constant Contact spec: where it is looked for, how it is read, why tests skip."""

//! `tokenizer train | encode | decode` subcommands.

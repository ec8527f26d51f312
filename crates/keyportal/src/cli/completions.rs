//! `keyportal completions bash|zsh|fish`: a completion script generated from the same
//! argument definitions the binary parses, so it cannot fall behind them.

use clap::CommandFactory;
use clap_complete::{generate, Shell};

use super::args::{Cli, CompletionShell};

pub fn run(shell: CompletionShell) {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut command = Cli::command();
    generate(shell, &mut command, "keyportal", &mut std::io::stdout());
}

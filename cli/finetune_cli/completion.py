"""``finetune completion bash|zsh|fish``: a completion script made from the parser itself.

Commands, their options and the choices of an option (``--format``, ``--status``, ...) complete;
anything else completes as a file name. Install: ``eval "$(finetune completion bash)"`` in
~/.bashrc, ``eval "$(finetune completion zsh)"`` in ~/.zshrc, or
``finetune completion fish > ~/.config/fish/completions/finetune.fish``.
"""

from __future__ import annotations

import argparse
import shlex

SHELLS = ("bash", "zsh", "fish")


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subparsers here; there is no public accessor
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[tuple[str, list[str]]]:
    """(option, its choices) for every option string of ``parser``."""
    found: list[tuple[str, list[str]]] = []
    for action in parser._actions:
        choices = [str(choice) for choice in action.choices] if action.choices and not isinstance(action.choices, dict) else []
        found.extend((option, choices) for option in action.option_strings)
    return found


def _top_level(parser: argparse.ArgumentParser) -> list[str]:
    return [*_commands(parser), *(option for option, _ in _options(parser))]


def bash(parser: argparse.ArgumentParser) -> str:
    prog = parser.prog
    cases = []
    for name, command in _commands(parser).items():
        options = " ".join(option for option, _ in _options(command))
        choices = "".join(
            f'        {option}) COMPREPLY=($(compgen -W {shlex.quote(" ".join(values))} -- "$cur")); return;;\n'
            for option, values in _options(command)
            if values
        )
        cases.append(f'    {name})\n      case "$prev" in\n{choices}      esac\n      opts={shlex.quote(options)};;')
    body = "\n".join(cases)
    return f"""# {prog} completion for bash (and zsh via bashcompinit)
_{prog}_complete() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" opts
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W {shlex.quote(" ".join(_top_level(parser)))} -- "$cur")); return
  fi
  case "${{COMP_WORDS[1]}}" in
{body}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}}
complete -o default -F _{prog}_complete {prog}
"""


def zsh(parser: argparse.ArgumentParser) -> str:
    return "autoload -U +X bashcompinit && bashcompinit\n" + bash(parser)


def fish(parser: argparse.ArgumentParser) -> str:
    prog = parser.prog
    lines = [f"# {prog} completion for fish", f"complete -c {prog} -f"]
    for name, command in _commands(parser).items():
        lines.append(f"complete -c {prog} -n __fish_use_subcommand -a {name} -d {shlex.quote(command.description or name)}")
        for option, choices in _options(command):
            if not option.startswith("--"):
                continue
            values = f" -x -a {shlex.quote(' '.join(choices))}" if choices else ""
            lines.append(f"complete -c {prog} -n '__fish_seen_subcommand_from {name}' -l {option[2:]}{values}")
        lines.append(f"complete -c {prog} -n '__fish_seen_subcommand_from {name}' -F")
    return "\n".join(lines) + "\n"


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell](parser)

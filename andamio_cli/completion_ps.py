"""The PowerShell completion script, rendered from completion_gen's model of the app."""

from __future__ import annotations

from andamio_cli.completion_gen import HEADER, _globals


def _ps_value(spec) -> str:
    if isinstance(spec, tuple):
        return "@(" + ", ".join(f"'{c}'" for c in spec) + ")"
    return f"'{spec or 'value'}'"


def _ps_table(entries: dict, indent: str) -> str:
    inner = "".join(f"{indent}    '{k}' = {v}\n" for k, v in entries.items())
    return f"@{{\n{inner}{indent}}}"


# Profile names without Python: the names under "profiles" in config.json (ConvertFrom-Json),
# from the first config dir that has one, found as the CLI finds it: ANDAMIO_CONFIG_DIR, else
# %LOCALAPPDATA%\andamio-cli (Windows), XDG_CONFIG_HOME or ~/.config (Linux), or
# ~/Library/Application Support (macOS). The same names bash, zsh and fish offer.
PROFILE_NAME = "^[A-Za-z0-9][A-Za-z0-9_.-]*$"
PS_PROFILES = f"""\
    function Get-AndamioProfile {{  # profile names: read from config.json, nothing run
        if ($env:ANDAMIO_CONFIG_DIR) {{ $dirs = @($env:ANDAMIO_CONFIG_DIR) }} else {{
            $xdg = "$env:XDG_CONFIG_HOME".Trim()
            if (-not $xdg) {{ $xdg = Join-Path $HOME '.config' }}
            $dirs = @()
            if ($env:LOCALAPPDATA) {{ $dirs += Join-Path $env:LOCALAPPDATA 'andamio-cli' }}
            $dirs += Join-Path $xdg 'andamio-cli'
            $dirs += Join-Path $HOME 'Library/Application Support/andamio-cli'
        }}
        foreach ($d in $dirs) {{
            $file = Join-Path $d 'config.json'
            if (-not (Test-Path -LiteralPath $file -PathType Leaf)) {{ continue }}
            try {{
                $text = Get-Content -LiteralPath $file -Raw -ErrorAction Stop
                $config = $text | ConvertFrom-Json -ErrorAction Stop
            }} catch {{ return }}
            if ($config.profiles -is [System.Management.Automation.PSCustomObject]) {{
                $config.profiles.PSObject.Properties.Name | Where-Object {{ $_ -cmatch '{PROFILE_NAME}' }}
            }}
            return
        }}
    }}
"""


def powershell(tree: dict) -> str:
    """The PowerShell script for the model `tree` (see completion_gen.model)."""
    glob = _globals(tree)  # keys are "andamio", "andamio apikey", ...: no empty key
    tree = {f"andamio {p}".strip(): node for p, node in tree.items()}
    subs = _ps_table(
        {
            p: "@(" + ", ".join(f"'{s}'" for s in node["subcommands"]) + ")"
            for p, node in sorted(tree.items())
        },
        "    ",
    )
    opts = _ps_table(
        {
            p: _ps_table(
                {o: _ps_value(s) for o, s in node["options"].items() if o not in glob}, "        "
            )
            for p, node in sorted(tree.items())
        },
        "    ",
    )
    args = _ps_table(
        {
            f"{p}|{n}": _ps_value(spec)
            for p, node in sorted(tree.items())
            for n, spec in enumerate(node["args"])
        },
        "    ",
    )
    glob_table = _ps_table({o: _ps_value(s) for o, s in glob.items()}, "    ")
    return f"""{HEADER}# PowerShell completion for andamio: dot-source this file from your $PROFILE.

Register-ArgumentCompleter -Native -CommandName andamio -ScriptBlock {{
    param($wordToComplete, $commandAst, $cursorPosition)
    $subs = {subs}
    $globals = {glob_table}
    $opts = {opts}
    $positional = {args}
{PS_PROFILES}    $words = @($commandAst.CommandElements | Select-Object -Skip 1 |
        Where-Object {{ $_.Extent.StartOffset -lt $cursorPosition }} | ForEach-Object {{ $_.ToString() }})
    $last = $words.Count
    if ($wordToComplete -ne '') {{ $last-- }}
    $cmdpath = 'andamio'; $want = $null; $n = 0; $cur = $wordToComplete; $pre = ''
    for ($i = 0; $i -lt $last; $i++) {{
        $w = $words[$i]
        if ($w -eq '--') {{ return }}
        if ($w -like '-*=*') {{ continue }}
        if ($w.StartsWith('-')) {{
            $spec = $opts[$cmdpath][$w]; if ($null -eq $spec) {{ $spec = $globals[$w] }}
            if ($null -ne $spec -and -not ($spec -is [string] -and $spec -eq 'flag')) {{
                if ($i + 1 -eq $last) {{ $want = $w }} else {{ $i++ }}
            }}
            continue
        }}
        if ($n -eq 0 -and $subs[$cmdpath] -ccontains $w) {{ $cmdpath += " $w" }} else {{ $n++ }}
    }}
    $spec = $null
    if (-not $want -and $cur -like '-*=*') {{
        $pre = $cur.Substring(0, $cur.IndexOf('=') + 1); $cur = $cur.Substring($pre.Length)
        $want = $pre.TrimEnd('=')
    }}
    if ($want) {{
        $spec = $opts[$cmdpath][$want]; if ($null -eq $spec) {{ $spec = $globals[$want] }}
    }} elseif ($cur.StartsWith('-')) {{
        $spec = @(@($opts[$cmdpath].Keys) + @($globals.Keys) | Sort-Object)
    }} else {{
        $spec = @()
        if ($n -eq 0) {{ $spec = @($subs[$cmdpath]) }}
        $arg = $positional["$cmdpath|$n"]
        if ($arg -is [array]) {{ $spec += $arg }} elseif ($null -ne $arg -and $spec.Count -eq 0) {{ $spec = $arg }}
    }}
    if ($spec -is [string] -and $spec -eq 'profile') {{ $spec = @(Get-AndamioProfile) }}
    if ($spec -isnot [array]) {{ return }}  # 'file' and 'value': PowerShell's own path completion
    $spec | Where-Object {{ $_.StartsWith($cur, [System.StringComparison]::Ordinal) }} | ForEach-Object {{
        [System.Management.Automation.CompletionResult]::new("$pre$_", $_, 'ParameterValue', $_)
    }}
}}
"""

# Build BERT Studio for Windows: a clean venv, the PyInstaller one-folder app (dist\bertstudio\
# with bertstudio.exe, windowed, and bertstudio-cli.exe, console), a smoke test, then the Inno Setup
# installer (dist\installers\bertstudio-VERSION-windows-x64-setup.exe).
# Needs Python 3.11+ (py launcher) and Inno Setup 6 (iscc.exe on PATH or in its default folder).
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build_windows.ps1
# $env:TORCH_SPEC / $env:TORCH_PIP_ARGS select another torch build (CUDA: see docs\packaging.md).
$ErrorActionPreference = "Stop"
$Root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $Root
$TorchSpec = if ($env:TORCH_SPEC) { $env:TORCH_SPEC } else { "torch==2.13.0" }
$TorchArgs = if ($env:TORCH_PIP_ARGS) { $env:TORCH_PIP_ARGS -split " " } else { @() }
function Invoke-Checked { & $args[0] $args[1..($args.Length - 1)]; if ($LASTEXITCODE -ne 0) { throw "failed: $args" } }

$Venv = Join-Path $Root "build\venv-windows"
if (-not (Test-Path "$Venv\Scripts\python.exe")) { Invoke-Checked py -3.11 -m venv $Venv }
$Py = "$Venv\Scripts\python.exe"
Invoke-Checked $Py -m pip install --quiet --upgrade pip
Invoke-Checked $Py -m pip install --quiet $TorchSpec @TorchArgs
$Deps = & $Py -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))"
Invoke-Checked $Py -m pip install --quiet @($Deps -split "`n") "pyinstaller==6.22.3" pillow
$Version = & $Py -c "import sys; sys.path.insert(0, 'packaging'); import bundle_plan; print(bundle_plan.app_version())"

# Inno Setup needs an .ico; PyInstaller converts the PNG for the .exe itself (with Pillow).
New-Item -ItemType Directory -Force "build\icons" | Out-Null
Invoke-Checked $Py -c "from PIL import Image; Image.open('bertstudio/resources/icons/bertstudio.png').save('build/icons/bertstudio.ico', sizes=[(16,16),(32,32),(48,48),(64,64),(128,128),(256,256)])"

$Timer = [Diagnostics.Stopwatch]::StartNew()
Invoke-Checked $Py -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build\pyinstaller packaging\bertstudio.spec
Write-Host "bundle built in $($Timer.Elapsed.TotalSeconds) s"

$Printed = & "dist\bertstudio\bertstudio-cli.exe" --version
if ($Printed -ne "bertstudio $Version") { throw "--version printed '$Printed', expected 'bertstudio $Version'" }
$env:QT_QPA_PLATFORM = "offscreen"
Invoke-Checked "dist\bertstudio\bertstudio-cli.exe" --self-test
Remove-Item Env:QT_QPA_PLATFORM
$SizeMiB = [math]::Round((Get-ChildItem dist\bertstudio -Recurse -File | Measure-Object Length -Sum).Sum / 1MB)
Write-Host "smoke test passed; bundle: $SizeMiB MiB"

$Iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
Invoke-Checked $Iscc "/DAppVersion=$Version" packaging\windows\bertstudio.iss
Write-Host "installer: dist\installers\bertstudio-$Version-windows-x64-setup.exe"

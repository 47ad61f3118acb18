; Inno Setup script for BERT Studio (Inno Setup 6). Packs the PyInstaller one-folder build
; dist\bertstudio\ into dist\installers\bertstudio-VERSION-windows-x64-setup.exe.
; Built by packaging\windows\build_windows.ps1, which passes the version from bertstudio/__init__.py:
;   iscc /DAppVersion=0.1.0 packaging\windows\bertstudio.iss

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\bertstudio.iss (build_windows.ps1 does)
#endif
#define AppName "BERT Studio"
#define RepoRoot AddBackslash(SourcePath) + "..\.."

[Setup]
AppId={{6F1D7A52-3C1B-4E0B-9B7E-2C8E5B1F4A90}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=BERT Studio developers
DefaultDirName={autopf}\BERT Studio
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install by default (no administrator rights needed); the user may choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#RepoRoot}\dist\installers
OutputBaseFilename=bertstudio-{#AppVersion}-windows-x64-setup
SetupIconFile={#RepoRoot}\build\icons\bertstudio.ico
UninstallDisplayIcon={app}\bertstudio.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#RepoRoot}\dist\bertstudio\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
; bertstudio.exe is the window; bertstudio-cli.exe (same folder) runs the headless commands in a console.
Name: "{group}\{#AppName}"; Filename: "{app}\bertstudio.exe"
Name: "{group}\{#AppName} demo"; Filename: "{app}\bertstudio.exe"; Parameters: "--demo"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\bertstudio.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\bertstudio.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

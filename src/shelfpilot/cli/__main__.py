from shelfpilot.cli import app

app()

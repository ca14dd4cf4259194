from indspace.cli import app

app(prog_name="indspace")

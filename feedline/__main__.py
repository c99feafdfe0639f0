from feedline.cli import app

app()

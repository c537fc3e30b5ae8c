from andamio_cli.app import run

run()

from pageshop import create_app

app = create_app()

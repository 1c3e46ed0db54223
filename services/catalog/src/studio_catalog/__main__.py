from studio_runtime.serve import serve

from studio_catalog.main import create_app
from studio_catalog.settings import CatalogSettings


def main() -> None:
    settings = CatalogSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()

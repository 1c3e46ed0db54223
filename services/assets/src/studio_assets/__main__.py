from studio_runtime.serve import serve
from studio_runtime.settings import load_settings

from studio_assets.main import create_app
from studio_assets.settings import AssetsSettings


def main() -> None:
    settings = load_settings(AssetsSettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()

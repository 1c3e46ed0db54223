from studio_runtime.serve import serve
from studio_runtime.settings import load_settings

from studio_gateway.main import create_app
from studio_gateway.settings import GatewaySettings


def main() -> None:
    settings = load_settings(GatewaySettings)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()

"""`{name:model_path}`: a path parameter holding a model id, slashes included (`fal-ai/flux/dev`),
for routes that sit beside `/models/{id:path}/validate`.

Starlette's `path` takes everything, a trailing `/validate` too: a GET of `/models/x/validate`
would be read as one of the model `x/validate` (404) rather than as a method that path does not
take (405, `Allow: POST`), and a PUT there would be told GET is allowed. No model id ends in a
`/validate` segment, so this parameter stops short of one.

Importing this module registers the convertor (Starlette keeps one table per process).
"""

from starlette.convertors import Convertor, register_url_convertor

MODEL_PATH = "model_path"


class _ModelPathConvertor(Convertor[str]):
    regex = r".*(?<!/validate)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor(MODEL_PATH, _ModelPathConvertor())

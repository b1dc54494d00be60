from pydantic import BaseModel, Field

# One or two sentences fit in 400 characters. The bound is in the grammar vLLM decodes with, so a model that
# rambles is made to close the answer, instead of being cut mid-string by the token limit: a cut answer is invalid
# JSON, and the gateway asked it again (2 to 4 of every 32 questions in `bench llm`, each a slow tail).
ANSWER_MAX_CHARS = 400


class PlaygroundAnswer(BaseModel):
    answer: str = Field(max_length=ANSWER_MAX_CHARS)

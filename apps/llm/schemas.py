from pydantic import BaseModel, Field


class PlaygroundAnswer(BaseModel):
    answer: str = Field(max_length=2000)

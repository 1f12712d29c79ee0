"""Bodies of `POST /coverage/redraws`: a redraw proposal for an overloaded village."""

from pydantic import BaseModel, Field

from api.schemas_boundaries import ValidationPublic
from grids.coverage.redraw import MOST_HOUSEHOLDS, RedrawProposal


class RedrawCreate(BaseModel):
    """Which village to redraw, and the households each ordinary grid should hold."""

    village_code: str = Field(
        min_length=1, max_length=12, description="12-digit code of the village or community (村/社区)"
    )
    floor: int = Field(300, ge=0, le=MOST_HOUSEHOLDS, description="fewest households of an ordinary grid")
    cap: int = Field(500, ge=1, le=MOST_HOUSEHOLDS, description="most households of an ordinary grid")


class ProposedGridPublic(BaseModel):
    """A proposed ordinary grid: its draft row, the code publishing would give it, its households."""

    grid_id: int
    code: str
    code_source: str = Field(description="persisted (keeps an old grid's code) or numbered (a new number)")
    households: int


class RedrawPublic(BaseModel):
    """The stored draft, its proposed grids, whether the floor and cap hold (and why not), its validation."""

    generation_id: int
    name: str
    village_code: str
    floor: int
    cap: int
    households: int = Field(description="households in the ground of the village's ordinary grids")
    grids: list[ProposedGridPublic]
    kept: list[str] = Field(description="dedicated grids kept as they are")
    replaced: list[str] = Field(description="ordinary grids the proposal replaces")
    min_households: int
    max_households: int
    cap_holds: bool
    floor_holds: bool
    message_zh: str
    message_en: str
    validation: ValidationPublic

    @classmethod
    def of(cls, proposal: RedrawProposal) -> "RedrawPublic":
        """The public view of a proposal."""
        return cls(
            generation_id=proposal.generation_id,
            name=proposal.name,
            village_code=proposal.village_code,
            floor=proposal.floor,
            cap=proposal.cap,
            households=proposal.households,
            grids=[ProposedGridPublic(**g.__dict__) for g in proposal.grids],
            kept=proposal.kept,
            replaced=proposal.replaced,
            min_households=proposal.min_households,
            max_households=proposal.max_households,
            cap_holds=proposal.cap_holds,
            floor_holds=proposal.floor_holds,
            message_zh=proposal.message_zh,
            message_en=proposal.message_en,
            validation=ValidationPublic.of(proposal.validation),
        )

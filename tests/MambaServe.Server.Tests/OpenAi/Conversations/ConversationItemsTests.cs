using MambaServe.Server.OpenAi.Conversations;
using MambaServe.Server.OpenAi.Responses;

namespace MambaServe.Server.Tests.OpenAi.Conversations;

/// <summary>Item edits on their own: deleting a call or a message's text, and the ids of a turn appended after another took them.</summary>
public sealed class ConversationItemsTests
{
    private static readonly ConversationMessage[] s_conversation =
    [
        new("user", "Weather?", Id: "msg_user"),
        new("assistant", "Looking.", [new("call_1", "weather", "{}", "fc_1"), new("call_2", "time", "{}", "fc_2")], Id: "msg_reply"),
        new("tool", "Sunny", null, "call_1", "fco_1"),
    ];

    [Fact]
    public void Without_ACall_KeepsItsMessageAndTheOtherCall_AndWithoutTheText_KeepsTheCalls()
    {
        var noCall = ConversationItems.Without("conv", s_conversation, "fc_2");
        var noText = ConversationItems.Without("conv", s_conversation, "msg_reply");
        var noCalls = ConversationItems.Without("conv", ConversationItems.Without("conv", noText, "fc_1"), "fc_2");

        Assert.Equal(["fc_1"], noCall[1].ToolCalls!.Select(c => c.ItemId));
        Assert.Equal("Looking.", noCall[1].Content);
        Assert.Equal(("", 2), (noText[1].Content, noText[1].ToolCalls!.Count));
        Assert.Equal(["msg_user", "fco_1"], noCalls.Select(m => m.Id)); // a message with neither text nor calls is gone
        Assert.Equal(404, Assert.Throws<MambaServe.Server.OpenAi.ApiException>(() => ConversationItems.Without("conv", s_conversation, "msg_none")).Status);
    }

    [Fact]
    public void WithFreshIds_GivesNewIdsToItemsWhoseIdsAreTaken_AndKeepsTheOthers()
    {
        ConversationMessage[] turn =
        [
            new("user", "Again", Id: "msg_user"),
            new("assistant", "", [new("call_9", "weather", "{}", "fc_1")], Id: "msg_new"),
            new("user", "Fresh", Id: "msg_fresh"),
        ];

        var appended = ConversationItems.WithFreshIds(s_conversation, turn);

        Assert.NotEqual("msg_user", appended[0].Id);
        Assert.Matches("^msg_[0-9a-f]{48}$", appended[0].Id!);
        Assert.NotEqual("msg_new", appended[1].Id);
        Assert.NotEqual("fc_1", appended[1].ToolCalls![0].ItemId);
        Assert.Equal("msg_fresh", appended[2].Id);
        Assert.Equal(["Again", "", "Fresh"], appended.Select(m => m.Content));
    }
}

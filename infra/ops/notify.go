package ops

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ml-rest-api/ml-rest-api/infra/names"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NotificationsArgs configures alarm notifications.
type NotificationsArgs struct {
	Emails []string
	Tags   pulumi.StringMap
}

// Notifications is the SNS topic every alarm notifies, with its e-mail subscriptions.
type Notifications struct {
	pulumi.ResourceState

	TopicArn pulumi.StringOutput `pulumi:"topicArn"`
}

// NewNotifications registers the topic and one e-mail subscription per address (AWS sends
// each address a confirmation mail; notifications start once it is confirmed).
func NewNotifications(ctx *pulumi.Context, name string, args *NotificationsArgs, opts ...pulumi.ResourceOption) (*Notifications, error) {
	if args == nil || len(args.Emails) == 0 {
		return nil, fmt.Errorf("notifications %s: at least one e-mail address is required", name)
	}
	comp := &Notifications{}
	if err := ctx.RegisterComponentResource(names.TypeNotifications, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	topic, err := sns.NewTopic(ctx, names.Child(name, "topic"), &sns.TopicArgs{Tags: args.Tags}, parent)
	if err != nil {
		return nil, fmt.Errorf("notifications %s: topic: %w", name, err)
	}
	for _, email := range args.Emails {
		// Keyed by the address, so reordering the list replaces nothing.
		sum := sha256.Sum256([]byte(strings.ToLower(email)))
		if _, err := sns.NewTopicSubscription(ctx, names.Child(name, "email-"+hex.EncodeToString(sum[:])[:10]), &sns.TopicSubscriptionArgs{
			Topic: topic.Arn, Protocol: pulumi.String("email"), Endpoint: pulumi.String(email),
		}, parent); err != nil {
			return nil, fmt.Errorf("notifications %s: subscription: %w", name, err)
		}
	}
	comp.TopicArn = topic.Arn
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"topicArn": topic.Arn}); err != nil {
		return nil, err
	}
	return comp, nil
}

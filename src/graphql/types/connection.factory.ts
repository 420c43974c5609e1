import { ClassType, Field, Int, ObjectType } from "type-graphql";
import { PageInfo } from "./common.type";

/** Builds a Relay connection type (`<Name>Connection` with edges, nodes, pageInfo, totalCount). */
export function RelayConnection<T extends object>(name: string, nodeType: ClassType<T>) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String)
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => [nodeType], { description: "The nodes of `edges`, for clients that need no cursors." })
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: "Items in the whole list, across pages." })
    totalCount!: number;
  }
  return ConnectionType;
}
